redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file = "/etc/cron.d/redisplan.cron" # ERROR: Invalid cron.d file name
  }
}

redis "other" {
  address = "127.0.0.1:6380"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file = "/etc/cron.d/redis~plan" # ERROR: Invalid cron.d file name
  }
}
