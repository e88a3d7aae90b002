redis "main" {
  address  = "127.0.0.1:6379"
  replicas = ["127.0.0.1:6380", "127.0.0.1:6380"] # ERROR: Duplicate replica
}
