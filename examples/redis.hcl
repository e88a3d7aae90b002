# The seed system's Redis, described once: the redis.conf, the daily backup
# with 30-day retention and the continuous archive for point-in-time
# recovery, and the 15-minute health check with its alert thresholds.
# `redisplan validate -config examples/redis.hcl` checks it;
# `redisplan render -config examples/redis.hcl` prints the redis.conf.

variable "address" {
  type        = string
  default     = "127.0.0.1:6379"
  description = "Where the server listens."
}

variable "config_command" {
  type        = string
  default     = "CONFIG_b7e4d19a"
  sensitive   = true
  description = "The secret name CONFIG is renamed to. Override it with REDISPLAN_VAR_config_command in production."
}

variable "backup_dir" {
  type    = string
  default = "/var/backups/redis"
}

redis "main" {
  address     = var.address
  config_file = "/etc/redis/redis.conf"

  service {
    docker_container = "mastertrade_redis"
  }

  persistence {
    aof {
      enabled            = true
      fsync              = "everysec"
      rdb_preamble       = true
      rewrite_percentage = 100
      rewrite_min_size   = "64mb"
      load_truncated     = true
    }
    rdb {
      snapshot {
        after   = "1h"
        changes = 1
      }
      snapshot {
        after   = "5m"
        changes = 100
      }
      snapshot {
        after   = "1m"
        changes = 10000
      }
      compression          = true
      checksum             = true
      stop_writes_on_error = true
    }
  }

  memory {
    max    = "2gb"
    policy = "allkeys-lru"
    lazyfree {
      eviction = true
      expire   = true
    }
  }

  security {
    disabled_commands = ["FLUSHDB", "FLUSHALL"]
    # The seed renamed CONFIG to "", which makes the server impossible to
    # inspect or change live. A secret name keeps CONFIG out of reach of
    # clients while redisplan can still use it.
    renamed_commands = {
      SHUTDOWN = "SHUTDOWN_MASTERTRADE"
      CONFIG   = var.config_command
    }
  }

  monitoring {
    slowlog_threshold = "10ms"
    latency_threshold = "100ms"
    keyspace_events   = "Ex"
  }

  settings = {
    "activerehashing"    = true
    "jemalloc-bg-thread" = true
  }

  backup {
    schedule    = "0 3 * * *"
    destination = var.backup_dir
    include     = ["rdb", "aof"]
    compression = "zstd"
    retention {
      max_age  = "30d"
      keep_min = 3
    }
    # Continuous archive for point-in-time recovery: redisplan archive
    # follows the server as a replica and commits its writes beside the
    # backups at least every second, so restore -to-time can go back to
    # any moment since the oldest kept backup (docs/archive.md). Against
    # a lost host, the destination must be on another host or s3://.
    archive {
      flush = "1s"
    }
  }

  alerts {
    schedule = "*/15 * * * *"
    webhook  = "http://127.0.0.1:8007/alerts"

    memory_used_percent {
      warning = 90
    }
    backup_age {
      critical = "25h"
    }
    evicted_keys {
      warning = 1
    }
    connected_clients {
      warning = 9000
    }
    rdb_save_failed {
      severity = "critical"
    }
    aof_rewrite_failed {
      severity = "critical"
    }
    archive_lag {
      warning  = "10s"
      critical = "1m"
    }
    archive_gap {
      severity = "warning"
    }
  }

  cron {
    file   = "/etc/cron.d/redisplan"
    run_as = "redis"
    binary = "/usr/local/bin/redisplan"
  }
}
