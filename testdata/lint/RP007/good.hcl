redis "main" {
  address  = "127.0.0.1:6379"
  data_dir = "/var/lib/redis"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
}

# A sibling whose name starts with the data directory's is outside it.
redis "sibling" {
  address  = "127.0.0.1:6380"
  data_dir = "/var/lib/redis"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/lib/redis-backups"
  }
}
