# Three ways to open a server without a password to other hosts.

redis "public_bind" {
  address = "10.0.0.5:6379"

  security {
    bind = "0.0.0.0"
  }
}

redis "protection_off" {
  address = "127.0.0.1:6380"

  security {
    protected_mode = false
  }
}

redis "mixed" {
  address = "10.0.0.5:6381"

  security {
    bind           = ["127.0.0.1", "10.0.0.5"]
    protected_mode = false
  }
}
