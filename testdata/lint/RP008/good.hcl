redis "main" {
  address = "127.0.0.1:6379"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
    retention {
      max_age  = "30d"
      keep_min = 3
    }
  }
}

# A short max_age is fine when keep_min keeps a second backup.
redis "short" {
  address = "127.0.0.1:6380"

  backup {
    schedule    = "@daily"
    destination = "/var/backups/redis-short"
    retention {
      max_age  = "1d"
      keep_min = 2
    }
  }
}

redis "weekdays" {
  address = "127.0.0.1:6381"

  backup {
    schedule    = "0 3 * * 1-5"
    destination = "/var/backups/redis-weekdays"
    retention {
      max_age = "4d"
    }
  }
}
