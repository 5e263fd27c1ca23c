# dxs as a container: built in a Rust image, run as a non-root user in a slim Debian image.
#   docker build -t dxs .        docker run -p 8080:8080 dxs serve --demo
# docker-compose.yml builds this file and runs it with PostgreSQL, Prometheus and Grafana.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY templates templates
COPY surveys surveys
COPY tests tests
RUN cargo build --release --locked --bin dxs \
    && strip target/release/dxs

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 dxs \
    && useradd --system --uid 10001 --gid dxs --home-dir /var/lib/dxs --create-home dxs
COPY --from=build /src/target/release/dxs /usr/local/bin/dxs
COPY --chown=10001:10001 surveys /var/lib/dxs/surveys
WORKDIR /var/lib/dxs
USER 10001:10001
ENV DXS_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["dxs"]
CMD ["serve"]
