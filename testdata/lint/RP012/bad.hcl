redis "unlimited" {
  address = "127.0.0.1:6379"
}

redis "zero" {
  address = "127.0.0.1:6380"

  memory {
    max = 0
  }
}

# 12gb on a 16gb host: a fork during BGSAVE may not fit.
redis "large" {
  address     = "127.0.0.1:6381"
  host_memory = "16gb"

  memory {
    max = "12gb"
  }
}
