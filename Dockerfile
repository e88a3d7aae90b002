# A minimal image whose entrypoint is redisplan (the Kubernetes CronJobs
# that `redisplan render kubernetes` writes run it with their arguments).
# Built from the release binaries, without network access:
#
#   make release
#   docker build -f Dockerfile --build-arg TARGETARCH=amd64 -t redisplan:VERSION dist
#
# (docker buildx sets TARGETARCH itself for each platform.)
FROM scratch
ARG TARGETARCH=amd64
# S3 destinations over TLS need the CA bundle.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY linux_${TARGETARCH}/redisplan /usr/local/bin/redisplan
# No shell, no package manager; a user that owns nothing on the host.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/redisplan"]
