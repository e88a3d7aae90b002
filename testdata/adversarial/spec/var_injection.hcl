# A -var value is data: the template in it is not evaluated.
variable "user" {
  type = string
}

redis "main" {
  address  = "127.0.0.1:6379"
  username = var.user
}
