variable "redis_password" {
  type      = string
  sensitive = true
  default   = "not-a-real-password"
}

redis "main" {
  address  = "127.0.0.1:6379"
  password = var.redis_password
  backup {
    schedule    = "@every 90m" # ERROR: Schedule not expressible as a systemd timer
    destination = "/var/backups/redis"
  }
  cron {
    kind = "launchd" # ERROR: Invalid value
  }
  cron {
    kind = "systemd"
    dir  = "/etc/systemd/system"
    file = "/etc/cron.d/redisplan" # ERROR: Argument not for this kind
  }
  cron {
    kind = "systemd"
    dir  = "/etc/systemd/system/" # ERROR: Duplicate schedule directory
  }
  cron {
    kind = "systemd"
    dir  = "units" # ERROR: Relative path
  }
  cron { # ERROR: Missing required argument
    kind       = "kubernetes"
    dir        = "/srv/k8s"
    image      = "redisplan:1"
    config_map = "Spec_Files" # ERROR: Invalid Kubernetes name
    time_zone  = "Mars/Olympus" # ERROR: Invalid time zone
  }
}
