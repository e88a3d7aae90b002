# Squaring doubles the exponent: 1e300 squared 20 times has about 3e8
# digits, without a single long literal.
locals {
  a = 1e300 * 1e300
  b = local.a * local.a
  c = local.b * local.b
  d = local.c * local.c
  e = local.d * local.d
  f = local.e * local.e
  g = local.f * local.f
  h = local.g * local.g
  i = local.h * local.h
  j = local.i * local.i
  k = local.j * local.j
  l = local.k * local.k
  m = local.l * local.l
  n = local.m * local.m
  o = local.n * local.n
  p = local.o * local.o
  q = local.p * local.p
  r = local.q * local.q
  s = local.r * local.r
  t = local.s * local.s
}

redis "main" {
  address  = "127.0.0.1:6379"
  settings = { maxmemory = local.t }
}
