variable "config_command" {
  type      = string
  sensitive = true
  default   = "CONFIG_5f2a9c"
}

redis "main" {
  address = "127.0.0.1:6379"

  security {
    disabled_commands = ["FLUSHALL"]
    renamed_commands = {
      CONFIG = var.config_command
    }
  }
}
