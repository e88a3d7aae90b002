redis "orders" {
  address = "127.0.0.1:6379"
  backup {
    destination    = "/var/backups/redis"
    id             = "orders"
    previous_specs = ["redis.hcl"] # ERROR: Invalid previous spec
  }
}

redis "billing" {
  address = "127.0.0.1:6380"
  backup {
    destination = "/var/backups/redis"
    id          = "orders" # ERROR: Duplicate backup id
  }
}

redis "cache" {
  address = "127.0.0.1:6381"
  backup {
    destination = "/var/backups/redis"
    id          = "Cache Main" # ERROR: Invalid backup id
  }
}
