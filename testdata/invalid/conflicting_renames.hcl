redis "main" {
  address = "127.0.0.1:6379"
  security {
    disabled_commands = ["FLUSHALL"]
    renamed_commands = {
      FLUSHALL = "FLUSHALL_SECRET" # ERROR: Conflicting settings
    }
  }
}
