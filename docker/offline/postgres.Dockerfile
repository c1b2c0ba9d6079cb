# A stand-in for the official postgres:16 image, for machines that cannot pull
# from a container registry: Debian's own PostgreSQL (15, not 16) on
# debian:bookworm-slim, started by postgres-entrypoint.sh the way the official
# image starts: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB make the
# cluster on the first start of an empty data folder, PGDATA is
# /var/lib/postgresql/data (a volume), it listens on every address with
# password logins, and a stop is a fast shutdown. Built by
# docker/offline/base-images.sh only when the real image is neither present
# nor pullable; enough for the compose examples, which is all it is for.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
# The official image's choice: SIGINT is PostgreSQL's fast shutdown.
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
