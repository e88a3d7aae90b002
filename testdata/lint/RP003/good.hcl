variable "redis_password" {
  type      = string
  sensitive = true
}

redis "password" {
  address = "10.0.0.5:6379"

  security {
    bind        = "0.0.0.0"
    requirepass = var.redis_password
  }
}

redis "acl_user" {
  address  = "10.0.0.5:6380"
  username = "redisplan"
  password = var.redis_password

  security {
    bind           = "0.0.0.0"
    protected_mode = false
  }
}

redis "loopback" {
  address = "127.0.0.1:6381"

  security {
    bind           = "127.0.0.1 -::1"
    protected_mode = false
  }
}

redis "protected" {
  address = "10.0.0.5:6382"

  security {
    bind           = "0.0.0.0"
    protected_mode = true
  }
}

# Neither bind nor protected-mode managed: Redis's protected mode stands.
redis "defaults" {
  address = "127.0.0.1:6383"
}
