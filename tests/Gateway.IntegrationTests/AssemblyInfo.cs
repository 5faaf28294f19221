// One started application at a time: each is a dozen processes (DCP, RabbitMQ, Garnet, services) that take about
// 35 s to start on two cores; two starting together starve each other into timeouts, and the disposal test compares
// the machine's process list before and after its own application.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
