/**
 * JMH benchmarks and load drivers. Not shipped. Run as documented in BENCHMARKS.md:
 * {@code mvn -q -DskipTests package -pl benchmarks -am} then
 * {@code java -cp 'benchmarks/target/quiver-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*' org.openjdk.jmh.Main ...}.
 */
package dev.quiver.benchmarks;
