#!/bin/sh
# Kafka's own tool, as its distribution's script of the same name runs it (docker-compose.yml's health check calls it).
exec java -Xmx64m -cp '/opt/kafka/libs/*' org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
