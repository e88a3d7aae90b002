variable "s3_secret_key" {
  type      = string
  sensitive = true
  default   = "not-a-real-secret"
}

redis "main" {
  address = "127.0.0.1:6379"
  backup {
    destination = "s3://redis-backups/prod"
    copy_to     = ["s3://redis-offsite/prod", "/var/backups/redis-copy"]
    s3 {
      endpoint   = "http://127.0.0.1:7070"
      region     = "eu-west-1"
      access_key = "AKIAEXAMPLE"
      secret_key = var.s3_secret_key
      path_style = true
      sse        = "AES256"
    }
  }
}
