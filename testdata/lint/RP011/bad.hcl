redis "main" {
  address = "127.0.0.1:6379"

  security {
    disabled_commands = ["FLUSHDB", "FLUSHALL"]
    renamed_commands = {
      SHUTDOWN = "SHUTDOWN_7c1e"
    }
  }
}
