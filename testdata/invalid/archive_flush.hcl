# Every problem of archive blocks is reported at once, each at its line.
# (A block the schema rejects, like an unknown argument, stops that
# target's decoding, so each such problem has a target of its own.)
redis "fast" {
  address = "127.0.0.1:6379"
  backup {
    destination = "/var/backups/redis"
    archive {
      flush = "10ms" # ERROR: Flush too short
    }
  }
}

redis "slow" {
  address = "127.0.0.1:6380"
  backup {
    destination = "/var/backups/redis"
    archive {
      flush = "5m" # ERROR: Flush too long
    }
  }
  alerts {
    archive_lag {
      warning  = "10m" # ERROR: Warning above critical
      critical = "1m"
    }
    archive_gap { # ERROR: Missing required argument
    }
  }
}

redis "words" {
  address = "127.0.0.1:6381"
  backup {
    destination = "/var/backups/redis"
    archive {
      flush = "1 second" # ERROR: Invalid duration
    }
  }
}

redis "typo" {
  address = "127.0.0.1:6382"
  backup {
    destination = "/var/backups/redis"
    archive {
      fluhs = "1s" # ERROR: Unsupported argument
    }
  }
}

redis "twice" {
  address = "127.0.0.1:6383"
  backup {
    destination = "/var/backups/redis"
    archive {
    }
    archive { # ERROR: Duplicate archive block
    }
  }
}
