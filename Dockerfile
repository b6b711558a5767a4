# ecsim in a small image, for sweeps on Kubernetes or AWS Batch (see deploy/).
#   docker build -t ecsim .
#   docker run --rm -v "$PWD/output:/work/output" ecsim sweep /scenarios/sweep-target-value.toml
# Stage 1 builds the binary with the toolchain; stage 2 keeps the binary and the bundled
# scenarios on a slim Debian.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY src src
COPY benches benches
RUN cargo build --release --locked --bin ecsim

FROM debian:bookworm-slim
COPY --from=build /src/target/release/ecsim /usr/local/bin/ecsim
COPY scenarios /scenarios
WORKDIR /work
ENTRYPOINT ["ecsim"]
