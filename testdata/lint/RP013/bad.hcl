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

# An archive with alerts that would not notice it stopped.
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
  }
}

# An archive and no alerts at all.
redis "archived-silent" {
  address = "127.0.0.1:6382"

  backup {
    destination = "/var/backups/redis"
    archive {}
  }
}
