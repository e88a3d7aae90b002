redis "main" {
  address  = "127.0.0.1:6379"
  data_dir = "/var/lib/redis"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/lib/redis/backups"
  }
}

# The data directory from the dir directive; the destination is the AOF
# directory Redis keeps under it.
redis "aof_dir" {
  address = "127.0.0.1:6380"

  settings = {
    "dir" = "/data"
  }

  backup {
    schedule    = "0 3 * * *"
    destination = "/data/appendonlydir"
  }
}
