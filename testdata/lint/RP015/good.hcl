# Redis 7.0 writes RDB 10, which Redis 8.0 and Valkey 8.1 load, and the
# two Valkey releases write and load 11: no pair sharing a destination
# has a backup the other cannot load.
redis "v80" {
  address       = "127.0.0.1:6379"
  redis_version = "valkey-8.0"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/valkey"
  }
}

redis "v81" {
  address       = "127.0.0.1:6380"
  redis_version = "valkey-8.1"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/valkey"
  }
}

# Another destination: Redis 7.0 and Valkey 8.1 do not meet.
redis "old" {
  address       = "127.0.0.1:6381"
  redis_version = "7.0"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis-7.0"
  }
}

# No redis_version: the engine is unknown, nothing is compared.
redis "undeclared" {
  address = "127.0.0.1:6382"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/valkey"
  }
}
