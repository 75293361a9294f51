# One image for the Event Lens services (edge, workers, query); docker-compose.yml picks the entry point per service.
FROM oven/bun:1.4.5-debian
# The Kafka client binds librdkafka through bun:ffi (shared/kafka), so the shared library must be in the image.
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka1 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY edge/package.json edge/
COPY workers/package.json workers/
COPY query/package.json query/
COPY bench/package.json bench/
COPY infra/package.json infra/
RUN bun install --production --ignore-scripts
COPY shared shared
COPY edge edge
COPY workers workers
COPY query query
# The keys CLI (`docker compose run --rm query bun infra/keys.ts create ...`): it imports shared/ only.
COPY infra/keys.ts infra/keys.ts
ENV NODE_ENV=production \
    KAFKA_BROKERS=kafka:9092 \
    ELASTICSEARCH_URL=http://elasticsearch:9200 \
    DATABASE_URL=postgres://postgres@postgres:5432/test \
    REDIS_URL=redis://redis:6379
USER bun
