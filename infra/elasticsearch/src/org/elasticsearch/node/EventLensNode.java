package org.elasticsearch.node;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one Elasticsearch node from the Maven Central jars as a plain `java` process (dev machines have no Docker).
 * Usage: {@code java -cp lib/*:classes org.elasticsearch.node.EventLensNode -Ekey=value ...}; every setting comes from
 * `infra/elasticsearch/index.ts`, so there is no elasticsearch.yml to keep in step.
 *
 * Why it lives in org.elasticsearch.node: the distribution's launcher (server-cli, plugin/module folders) is not on
 * Central, and MockNode refuses to run as root ("can not run elasticsearch as root" from BootstrapForTesting). The
 * seam left is {@code new Node(NodeConstruction)} with a custom {@link NodeServiceProvider}, and both are
 * package-private.
 */
public final class EventLensNode {
    private EventLensNode() {}

    public static void main(String[] args) throws Exception {
        // Netty4Utils pins Netty's processor count once per JVM and throws "available processors value [x] did not
        // match current value [y]" if anything fixed it first. A lone node in a fresh JVM starts without this (tried),
        // but the test-framework classes we borrow assume it is off, as ESTestCase sets it.
        System.setProperty("es.set.netty.runtime.available.processors", "false");

        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (arg.startsWith("-E") == false || eq < 0) {
                throw new IllegalArgumentException("expected -Ekey=value, got: " + arg);
            }
            builder.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();

        // No log4j2.properties ships with the server jar, so log4j falls back to its ERROR-only console default.
        // configureWithoutConfig raises the root level from `logger.level` (set by index.ts), so INFO reaches stdout,
        // which the stack sends to .stack/logs/elasticsearch.log.
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);

        String nodeName = settings.get("node.name", "event-lens");
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> nodeName);

        // Netty4Plugin is HTTP and transport (the server jar has neither); RootPlugin answers GET/HEAD /, which the
        // rest-root module (not on Central) normally does. MockPluginsService takes plugins from the classpath
        // instead of scanning modules/ and plugins/ folders that a jar-only install does not have.
        List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, RootPlugin.class);
        NodeServiceProvider provider = new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment environment, PluginsLoader loader) {
                return new MockPluginsService(environment.settings(), environment, plugins);
            }
        };
        Node node = new Node(NodeConstruction.prepareConstruction(env, null, provider, true));

        CountDownLatch closed = new CountDownLatch(1);
        // SIGTERM (`stack down`) must flush and release the data folder lock, or the next start replays translogs.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "event-lens-shutdown"));

        node.start();
        closed.await();
    }
}
