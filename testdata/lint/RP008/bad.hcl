# Daily backups kept for 12 hours: each prune leaves one backup.
redis "main" {
  address = "127.0.0.1:6379"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
    retention {
      max_age  = "12h"
      keep_min = 1
    }
  }
}

# Weekday backups kept for two days: the weekend gap is three days, so
# Monday's prune leaves only Monday's backup.
redis "weekdays" {
  address = "127.0.0.1:6380"

  backup {
    schedule    = "0 3 * * 1-5"
    destination = "/var/backups/redis-weekdays"
    retention {
      max_age   = "2d"
      keep_last = 1
    }
  }
}
