redis "main" {
  address = "127.0.0.1:6379"
  backup {
    schedule    = "0 3 * * *"
    destination = "/var/backups/redis"
  }
  cron {
    file    = "/etc/cron.d/redisplan"
    mail_to = "ops@example.com ops2@example.com" # ERROR: Invalid cron setting
  }
  cron {
    kind              = "kubernetes"
    dir               = "/srv/k8s"
    image             = "redisplan:1"
    config_map        = "spec"
    image_pull_policy = "Sometimes" # ERROR: Invalid value
    service_account   = "Redis_Plan" # ERROR: Invalid Kubernetes name
    volume_claim      = "state"
    env_from_secrets  = ["aws", "aws"] # ERROR: Duplicate Secret
    resources = {
      requests = {
        cpu    = "lots" # ERROR: Invalid quantity
        memory = "1Gi" # ERROR: Request above limit
        gpu    = "1" # ERROR: Unsupported key
      }
      limits = { memory = "512Mi" }
      limts  = {} # ERROR: Unsupported key
    }
    security_context = {
      run_as_user  = 0 # ERROR: Conflicting security context
      fs_group     = -1 # ERROR: Value out of range
      read_only    = true # ERROR: Unsupported key
      run_as_group = "wheel" # ERROR: Incorrect attribute value type
    }
  }
  cron {
    kind      = "systemd"
    dir       = "/etc/systemd/system"
    resources = {} # ERROR: Argument not for this kind
  }
}
