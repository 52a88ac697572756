# Persona, built from this repository. Used by docker-compose.yml; also fine on its own:
#   docker build -t persona . && docker run persona --help
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY config config
COPY topology topology
COPY services services
COPY bench/pom.xml bench/pom.xml
RUN mvn -B -q -DskipTests package -pl services -am

FROM eclipse-temurin:17-jre
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
