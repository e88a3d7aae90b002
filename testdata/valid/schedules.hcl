# One target whose schedules run from a crontab, systemd timers and
# Kubernetes CronJobs at once, and whose archive runs as a systemd service
# and a Kubernetes Deployment (the crontab says it cannot run it).
variable "redis_password" {
  type      = string
  sensitive = true
}

redis "main" {
  address  = "127.0.0.1:6379"
  password = var.redis_password

  backup {
    schedule    = "30 2 * * mon-fri"
    destination = "/var/backups/redis"
    archive {
      flush = "1s"
    }
  }

  alerts {
    schedule = "*/15 * * * *"
    webhook  = "http://127.0.0.1:8007/alerts"
  }

  cron {
    file = "/etc/cron.d/redisplan"
  }

  cron {
    kind             = "systemd"
    dir              = "/etc/systemd/system"
    run_as           = "redis"
    binary           = "/usr/local/bin/redisplan"
    randomized_delay = "5m"
  }

  cron {
    kind              = "kubernetes"
    dir               = "/srv/deploy/redisplan"
    namespace         = "redis"
    image             = "registry.example/redisplan:1.4.0"
    config_map        = "redisplan-spec"
    secret            = "redisplan-secrets"
    time_zone         = "Europe/Paris"
    starting_deadline = "10m"
  }
}
