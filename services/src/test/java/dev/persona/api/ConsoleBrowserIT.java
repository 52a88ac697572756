package dev.persona.api;

import dev.persona.config.ConfigLoader;
import dev.persona.config.PersonaConfig;
import dev.persona.runtime.InstanceOptions;
import dev.persona.runtime.PersonaInstance;
import dev.persona.testing.DuckDb;
import dev.persona.testing.HostTools;
import dev.persona.testing.Poll;
import dev.persona.testing.TempDirs;
import dev.persona.testing.TestConfigs;
import dev.persona.testing.TestHttp;
import dev.persona.testing.TestKafka;
import dev.persona.topology.TopicNames;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static dev.persona.testing.TestHttp.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator console in a real browser (Debian's headless chromium through its chromedriver) against a
 * three-instance cluster: every page shows the data that exists, the run buttons start runs, and no page logs a
 * JavaScript error. Screenshots of each page land in {@code target/console-screenshots} (the docs' copies come from
 * there). Needs chromium and chromedriver; skipped without them, except under {@code CI=true}.
 */
class ConsoleBrowserIT {
    private static final String ADMIN = "console-admin-secret";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Path SHOTS = Path.of("target", "console-screenshots");

    private static TestKafka kafka;
    private static final List<PersonaInstance> INSTANCES = new ArrayList<>();
    private static Path dir;
    private static WebDriver browser;
    private static String base;

    @BeforeAll
    static void start() throws IOException {
        final Path chromium = HostTools.required("chromium", "chromium");
        final Path chromedriver = HostTools.required("chromedriver", "chromium-driver");
        kafka = TestKafka.start();
        dir = Files.createTempDirectory("persona-console");
        final DuckDb warehouse = TestConfigs.plansWarehouse(dir.resolve("warehouse.duckdb"), "('12345', 'pro'), ('777', 'free')");
        final String app = TestKafka.uniqueName("console");
        final String yaml = TestConfigs.customersYaml(kafka.bootstrapServers(), app) + TestConfigs.plansSync(warehouse, "every 1h");
        final PersonaConfig config = ConfigLoader.withEnvironment(Map.of()).parse(Path.of(app + ".yaml"), yaml);
        for (int i = 0; i < 3; i++) {
            final Path state = dir.resolve("state-" + i);
            INSTANCES.add(PersonaInstance.start(config, InstanceOptions.local(state, state).withAdminKey(ADMIN)));
        }
        final TestHttp http = new TestHttp(INSTANCES.get(0).port());
        try (KafkaProducer<String, byte[]> producer = kafka.producer()) {
            TestConfigs.produce(producer, config, "customers", "profiles", "12345", """
                    {"id":12345,"name":"Jane Doe","email":"jane@example.com","ltv":1492.184}""");
            TestConfigs.produce(producer, config, "customers", "usage", "12345",
                    "{\"user_id\":\"12345\",\"num_messages_sent\":42,\"last_login_at\":\"2026-11-20T10:00:00Z\"}");
            // A row that is not JSON: a dead letter, with a payload that would be markup if the page wrote it as HTML.
            producer.send(new ProducerRecord<>(new TopicNames(config.kafka()).sourceTopic(config.sync("profiles").orElseThrow()), "666",
                    "<img src=x onerror=alert(1)> not json".getBytes(StandardCharsets.UTF_8)));
        }
        Poll.until(TIMEOUT, "Jane merged from three syncs and indexed on a three-instance cluster", () ->
                http.get("/v1/collections/customers/records/email/jane@example.com", bearer(ADMIN)).body().contains("\"plan\":\"pro\"")
                        && http.get("/admin/cluster", bearer(ADMIN)).body().split("\"RUNNING\"", -1).length == 4);
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, chromedriver.toString());
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900");
        final LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        browser = new ChromeDriver(options);
        base = "http://127.0.0.1:" + INSTANCES.get(1).port();
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        INSTANCES.forEach(PersonaInstance::close);
        if (kafka != null) {
            kafka.close();
        }
        if (dir != null) {
            TempDirs.delete(dir);
        }
    }

    private static void screenshot(final String name) throws IOException {
        final File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Picks an option of a select the page fills in from the API: it may not be there yet when the page shows. */
    private static void select(final String id, final String value) {
        final By option = By.cssSelector("#" + id + " option[value='" + value + "']");
        Poll.until(Duration.ofSeconds(15), "option '" + value + "' of #" + id, () -> !browser.findElements(option).isEmpty());
        browser.findElement(option).click();
    }

    private static List<WebElement> rows(final String table) {
        return browser.findElements(By.cssSelector("#" + table + " tbody tr"));
    }

    private static String text(final String table) {
        return browser.findElement(By.cssSelector("#" + table + " tbody")).getText();
    }

    private static void awaitText(final String table, final String expected) {
        Poll.until(TIMEOUT, table + " shows " + expected, () -> text(table).contains(expected));
    }

    private static void noJavaScriptErrors(final String page) {
        final List<LogEntry> severe = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue()).toList();
        assertEquals(List.of(), severe.stream().map(LogEntry::getMessage).toList(), "JavaScript errors on " + page);
        assertTrue(browser.findElement(By.id("error")).getText().isEmpty(), "error box on " + page + ": "
                + browser.findElement(By.id("error")).getText());
    }

    @Test
    void shouldShowEveryPageWithItsDataAndWorkingButtons() throws IOException {
        browser.get(base + "/console");
        browser.findElement(By.id("key")).sendKeys(ADMIN);
        browser.findElement(By.cssSelector("#sign-in-form button")).click();

        // Cluster: all three instances, each holding partitions of both stores, updating live.
        for (final PersonaInstance instance : INSTANCES) {
            awaitText("instances", "127.0.0.1:" + instance.port());
        }
        awaitText("instances", "records-customers");
        awaitText("instances", "index-customers");
        assertTrue(rows("instances").size() >= 6, "a row per instance and store: " + text("instances"));
        noJavaScriptErrors("cluster");
        screenshot("cluster");

        // Syncs: every sync with its last run; the full resync button starts a run that shows in the history.
        browser.findElement(By.cssSelector("a[data-page=syncs]")).click();
        awaitText("syncs", "plans");
        for (final String sync : List.of("profiles", "usage", "catalog")) {
            assertTrue(text("syncs").contains(sync), sync + " listed: " + text("syncs"));
        }
        browser.findElement(By.id("full-plans")).click();
        Poll.until(TIMEOUT, "the full resync of plans in its run history", () -> {
            try {
                if (!browser.findElement(By.id("runs-panel")).isDisplayed()) {
                    return false;
                }
                browser.findElement(By.id("runs-plans")).click();
                return rows("runs").stream().anyMatch(row -> row.getText().contains("succeeded") && row.getText().contains("yes"));
            } catch (final org.openqa.selenium.StaleElementReferenceException e) {
                // The syncs table re-renders as runs come in: the button or a row found may be replaced meanwhile.
                return false;
            }
        });
        assertTrue(browser.findElement(By.id("run-message")).getText().contains("Full resync of plans requested"));
        // The run debugger: a run's sampled changes, each record's key among them.
        Poll.until(TIMEOUT, "the changes of a run of plans shown", () -> {
            try {
                browser.findElement(By.id("runs-plans")).click();
                final List<WebElement> buttons = browser.findElements(By.cssSelector("#runs tbody button"));
                if (buttons.isEmpty()) {
                    return false;
                }
                buttons.get(buttons.size() - 1).click();
                return browser.findElement(By.id("changes-panel")).isDisplayed() && text("changes").contains("12345") && text("changes").contains("plan");
            } catch (final org.openqa.selenium.StaleElementReferenceException e) {
                return false;
            }
        });
        // A topic sync resyncs too: its topic read again from the start. The syncs table re-renders as runs come in:
        // a button found may be replaced before it is clicked, so finding and clicking are retried together.
        Poll.until(TIMEOUT, "the resync of the topic sync profiles requested", () -> {
            try {
                browser.findElement(By.id("full-profiles")).click();
            } catch (final org.openqa.selenium.StaleElementReferenceException e) {
                return false;
            }
            return browser.findElement(By.id("run-message")).getText().contains("Full resync of profiles requested");
        });
        noJavaScriptErrors("syncs");
        screenshot("syncs");

        // Dead letters: the malformed row, with its reason and its payload shown as text.
        browser.findElement(By.cssSelector("a[data-page=dead-letters]")).click();
        select("dl-collection", "customers");
        awaitText("dead-letters", "<img src=x onerror=alert(1)> not json");
        assertTrue(text("dead-letters").contains("profiles"), text("dead-letters"));
        assertTrue(browser.findElements(By.cssSelector("#dead-letters img")).isEmpty(), "the payload is text, not markup");
        noJavaScriptErrors("dead letters");
        screenshot("dead-letters");

        // Record explorer: by a secondary index, each field with its owning sync, and the revisions.
        browser.findElement(By.cssSelector("a[data-page=records]")).click();
        Poll.until(TIMEOUT, "the collections loaded", () -> !browser.findElements(By.cssSelector("#rec-collection option")).isEmpty());
        select("rec-collection", "customers");
        select("rec-index", "email");
        browser.findElement(By.id("rec-value")).sendKeys("jane@example.com");
        browser.findElement(By.cssSelector("#record-form button")).click();
        awaitText("fields", "full_name");
        for (final String owned : List.of("profiles", "usage", "plans")) {
            assertTrue(text("fields").contains(owned), "a field owned by " + owned + ": " + text("fields"));
        }
        Poll.until(TIMEOUT, "revisions from the changelog", () -> rows("revisions").size() >= 2 && !text("revisions").contains("holds no revision"));
        assertTrue(browser.findElement(By.id("record-summary")).getText().contains("customers 12345"));
        noJavaScriptErrors("records");
        screenshot("records");
    }
}
