using Gateway.Bench.Audit;

// Usage:
//   ingest --messaging amqp://guest:guest@127.0.0.1:5672/ --auditdb "<connection string>" [--events 300000] [--warmup 100000] [--rate 25000] [--batch 200] [--service-pid P] [--broker-pid P] [--db-pid P] [--json FILE]
//   store  --auditdb "<connection string>" [--events 200000] [--batch 5000]
//   query  --auditdb "<connection string>" [--rows 10000000] [--runs 200]
//   infrastructure [--engine sqlite|postgres]   starts RabbitMQ and the audit database, prints where they are, holds them until stdin closes
// The ingest mode needs a running broker and audit service writing to the same database; see bench/audit/README.md.
var arguments = BenchArguments.Parse(args);
return arguments.Mode switch
{
    "ingest" => await IngestBenchmark.RunAsync(arguments),
    "query" => await QueryBenchmark.RunAsync(arguments),
    "store" => await StoreBenchmark.RunAsync(arguments),
    "infrastructure" => await Infrastructure.RunAsync(arguments),
    _ => BenchArguments.Usage(),
};
