variable "redis_password" {
  type        = string
  sensitive   = true
  description = "requirepass of the default user"
}

variable "env" {
  type    = string
  default = "prod"
  validation {
    condition     = contains(["prod", "staging"], var.env)
    error_message = "env is prod or staging."
  }
}

locals {
  name      = upper(var.env)
  base_port = 7000
  port      = local.base_port + 1
  binds     = ["127.0.0.1", "::1"]
}

redis "main" {
  address       = "127.0.0.1:${local.port}"
  username      = "redisplan"
  password      = var.redis_password
  db            = 0
  timeout       = "3s"
  redis_version = "7.0"
  config_file   = "/etc/redis/redis.conf"
  data_dir      = "/var/lib/redis"

  tls {
    ca_file     = "/etc/redis/ca.pem"
    server_name = "redis.internal"
  }

  service {
    start  = ["/usr/bin/redis-server", "/etc/redis/redis.conf"]
    stop   = ["/usr/bin/redis-cli", "-p", "7001", "shutdown"]
    status = ["/usr/bin/redis-cli", "-p", "7001", "ping"]
  }

  persistence {
    aof {
      enabled  = true
      fsync    = "always"
      filename = "appendonly.aof"
    }
    rdb {
      snapshot {
        after   = "15m"
        changes = 1
      }
      filename = "dump-${lower(local.name)}.rdb"
    }
  }

  memory {
    max     = "4GB"
    policy  = "volatile-lru"
    samples = 10
    lazyfree {
      server_del = true
      user_del   = false
    }
  }

  security {
    protected_mode = true
    bind           = local.binds
    requirepass    = var.redis_password
  }

  monitoring {
    slowlog_threshold = 5000
    slowlog_max_len   = 1024
    latency_threshold = 50
    keyspace_events   = "KEA"
  }

  settings = {
    "slave-read-only"            = true
    "client-output-buffer-limit" = "replica 512mb 128mb 60"
    "hz"                         = 20
  }

  backup {
    schedule    = "@daily"
    destination = "/var/backups/redis"
    method      = "replication"
    compression = "gzip"
    retention {
      keep_last    = 7
      keep_daily   = 14
      keep_weekly  = 8
      keep_monthly = 12
      keep_min     = 3
    }
  }

  alerts {
    schedule = "*/5 * * * *"
    notify {
      webhook = "http://127.0.0.1:5001/webhook"
      format  = "alertmanager-webhook"
    }
    notify {
      alertmanager = ["http://127.0.0.1:9093", "http://127.0.0.1:9094"]
    }
    memory_used_percent {
      warning  = 80
      critical = 90
    }
    last_save_age {
      warning = "2h"
    }
  }

  cron {
    user   = "redis"
    binary = "/usr/local/bin/redisplan"
    log    = "/var/log/redisplan.log"
  }
}

policy "aof-everywhere" {
  severity  = "error"
  condition = true
  message   = "Every Redis must run AOF."
}
