# studybot in two stages: build on Debian 12 with the same install script CI
# uses, run on the slim image with only the runtime libraries.
#   docker build -t studybot .
#   docker run -e DISCORD_TOKEN -v studybot-data:/data studybot
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps all
COPY . .
RUN cmake --preset default \
 && cmake --build --preset default -j "$(nproc)" \
 && ctest --preset default -L unit

FROM debian:bookworm-slim
COPY scripts/install-deps /usr/local/lib/studybot/install-deps
RUN /usr/local/lib/studybot/install-deps runtime \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /data --shell /usr/sbin/nologin studybot \
 && mkdir -p /data && chown studybot /data
WORKDIR /app
COPY --from=build /src/build/studybot /usr/local/bin/studybot
COPY config/ config/
COPY questions/ questions/
# The database lives on the volume; tokens come only from the environment
# (DISCORD_TOKEN, or SLACK_APP_TOKEN + SLACK_BOT_TOKEN), never from the image.
RUN sed -i 's|^database *=.*|database    = /data/studybot.db|' config/studybot.ini
VOLUME /data
USER studybot
ENTRYPOINT ["studybot"]
CMD ["check"]
