redis "main" {
  address = "127.0.0.1:6379"
  service {
    systemd_unit     = "redis-server"
    docker_container = "redis" # ERROR: Conflicting service presets
  }
}
