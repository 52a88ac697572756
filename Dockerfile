# Persona, built from this repository. Used by docker-compose.yml; also fine on its own:
#   docker build -t persona . && docker run persona --help
# The base images are build arguments, so a machine without a registry can build from images of its own
# (deploy/compose-test does: Debian bookworm from debootstrap, with Debian's JDK and Maven); MAVEN_ARGS=-o with the
# local repository mounted builds offline.
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre
FROM ${BUILD_IMAGE} AS build
ARG MAVEN_ARGS=""
WORKDIR /src
COPY pom.xml ./
COPY config config
COPY topology topology
COPY client client
COPY services services
COPY bench/pom.xml bench/pom.xml
RUN mvn -B -q ${MAVEN_ARGS} -DskipTests package -pl services -am

FROM ${RUNTIME_IMAGE}
WORKDIR /opt/persona
COPY --from=build /src/services/target/persona.jar persona.jar
COPY --from=build /src/services/target/lib lib
ENV PERSONA_HOME=/var/lib/persona
# RocksDB reads from many HTTP threads: cap glibc malloc arenas (resident memory).
ENV MALLOC_ARENA_MAX=2
VOLUME /var/lib/persona
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/persona/persona.jar"]
CMD ["--help"]
