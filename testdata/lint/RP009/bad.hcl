# Redis's default save points are on, and nothing backs them up.
redis "main" {
  address = "127.0.0.1:6379"
}

redis "manual" {
  address = "127.0.0.1:6380"

  persistence {
    aof {
      enabled = true
    }
  }

  backup {
    destination = "/var/backups/redis"
  }
}
