redis "main" {
  address = "127.0.0.1:6379"
  security {
    renamed_commands = { CONFIG = "cfg\nrename-command FLUSHALL \"\"" }
  }
}
