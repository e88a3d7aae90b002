redis "main" {
  address  = "127.0.0.1:6379"
  replicas = ["127.0.0.1:6380"] # ERROR: Conflicting replication settings
  settings = {
    "replicaof" = "10.0.0.9 6379"
  }
}
