# Alerts that watch memory but not the backups or the saves.
redis "main" {
  address = "127.0.0.1:6379"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }

  alerts {
    schedule = "*/15 * * * *"
    webhook  = "http://127.0.0.1:8007/alerts"
    memory_used_percent {
      warning = 90
    }
  }
}

# Data on disk and no alerts at all.
redis "silent" {
  address = "127.0.0.1:6380"
}
