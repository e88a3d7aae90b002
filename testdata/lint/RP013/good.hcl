redis "main" {
  address = "127.0.0.1:6379"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }

  alerts {
    schedule = "*/15 * * * *"
    webhook  = "http://127.0.0.1:8007/alerts"
    backup_age {
      critical = "25h"
    }
    rdb_save_failed {
      severity = "critical"
    }
  }
}

redis "cache" {
  address   = "127.0.0.1:6380"
  ephemeral = true
}

redis "archived" {
  address = "127.0.0.1:6381"

  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
    archive {
      flush = "1s"
    }
  }

  alerts {
    schedule = "*/15 * * * *"
    webhook  = "http://127.0.0.1:8007/alerts"
    backup_age {
      critical = "25h"
    }
    rdb_save_failed {
      severity = "critical"
    }
    archive_lag {
      warning  = "10s"
      critical = "1m"
    }
    archive_gap {
      severity = "critical"
    }
  }
}
