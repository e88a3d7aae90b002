# The seed's way of hiding CONFIG, and the same through renamed_commands.

redis "main" {
  address = "127.0.0.1:6379"

  security {
    disabled_commands = ["FLUSHALL", "CONFIG"]
  }
}

redis "other" {
  address = "127.0.0.1:6380"

  security {
    renamed_commands = {
      CONFIG = ""
    }
  }
}
