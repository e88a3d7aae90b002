redis "main" {
  address = "127.0.0.1:6379"
  backup {
    destination = "s3://Bad_Bucket/prod" # ERROR: Invalid destination
    copy_to     = ["gs://elsewhere/x"] # ERROR: Unsupported destination
    s3 {
      access_key = "AKIAEXAMPLE" # ERROR: Incomplete S3 credentials
      sse        = "rot13" # ERROR: Invalid value
    }
  }
}
