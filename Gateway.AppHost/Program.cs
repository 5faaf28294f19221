Console.WriteLine("Gateway AppHost: not yet implemented.");
