redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    id   = "orders"
    file = "/etc/cron.d/redisplan"
  }
  cron {
    kind = "systemd"
    id   = "orders"
    dir  = "/etc/systemd/system"
  }
}

redis "other" {
  address = "127.0.0.1:6380"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    id   = "orders" # ERROR: Duplicate cron id
    file = "/etc/cron.d/redisplan"
  }
  cron {
    kind = "systemd"
    id   = "Orders.B" # ERROR: Invalid cron id
    dir  = "/etc/systemd/system"
  }
}
