# Kubernetes CronJobs with every pod setting: a state volume, a service
# account for IRSA / workload identity, resources, the security context
# and S3 credentials from a Secret.
variable "redis_password" {
  type      = string
  sensitive = true
}

redis "main" {
  address  = "redis.redis.svc:6379"
  password = var.redis_password

  backup {
    schedule    = "30 2 * * *"
    destination = "s3://backups/redis"
  }

  alerts {
    schedule = "*/15 * * * *"
    webhook  = "http://alertmanager.monitoring:9093/api/v2/alerts"
  }

  cron {
    kind              = "kubernetes"
    dir               = "/srv/deploy/redisplan"
    namespace         = "redis"
    image             = "registry.example/redisplan:1.4.0"
    image_pull_policy = "IfNotPresent"
    config_map        = "redisplan-spec"
    secret            = "redisplan-secrets"
    service_account   = "redisplan"
    volume_claim      = "redisplan-state"
    env_from_secrets  = ["redisplan-aws"]
    resources = {
      requests = { cpu = "100m", memory = "128Mi" }
      limits   = { memory = "512Mi" }
    }
    security_context = {
      run_as_user  = 65532
      run_as_group = 65532
      fs_group     = 65532
    }
  }
}
