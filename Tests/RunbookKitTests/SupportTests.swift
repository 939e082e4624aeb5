import Foundation
@testable import RunbookKit
import Testing
import TestSupport

/// Finding runbooks by name or path.
@Suite("Locating runbooks")
struct RunbookLocatorTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    func write(_ relative: String, _ text: String = "name: x\n") throws {
        let path = directory.file(relative)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func aNameIsLookedUpInRunbooksThenRunbookPath() throws {
        try write("runbooks/ha-iam.yaml", "name: local\n")
        try write("shared/ha-iam.yaml", "name: shared\n")
        try write("shared/other.yml", "name: other\n")
        let locator = RunbookLocator(environment: ["RUNBOOK_PATH": "shared:/nonexistent"], workingDirectory: directory.path)

        let local = try locator.locate("ha-iam")
        #expect(local.text == "name: local\n")
        #expect(local.displayPath == "runbooks/ha-iam.yaml")
        #expect(local.path == directory.file("runbooks/ha-iam.yaml"))
        #expect(try locator.locate("other").displayPath == "shared/other.yml")
        #expect(locator.all().map(\.name) == ["ha-iam", "other"])
        #expect(locator.all().first?.path == "runbooks/ha-iam.yaml")
    }

    @Test func aPathIsReadAsGiven() throws {
        try write("elsewhere/custom.yaml", "name: custom\n")
        let locator = RunbookLocator(environment: [:], workingDirectory: directory.path)
        #expect(try locator.locate("elsewhere/custom.yaml").text == "name: custom\n")
        #expect(try locator.locate(directory.file("elsewhere/custom.yaml")).displayPath == directory.file("elsewhere/custom.yaml"))
    }

    @Test func missingAndUnreadableRunbooksAreExplained() throws {
        try write("runbooks/dir.yaml/placeholder")
        try write("binary.yaml")
        try Data([0xff, 0xfe, 0x00, 0xc3]).write(to: URL(fileURLWithPath: directory.file("binary.yaml")))
        let locator = RunbookLocator(environment: [:], workingDirectory: directory.path)
        func problem(_ name: String) -> String? {
            do {
                _ = try locator.locate(name)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(problem("nothing")?.hasPrefix("no runbook named 'nothing' (looked for nothing.yaml in \(directory.file("runbooks")))") == true)
        #expect(problem("missing.yaml") == "missing.yaml: no such file")
        #expect(problem("runbooks/dir.yaml") == "runbooks/dir.yaml: cannot read: it is a directory")
        #expect(problem("binary.yaml") == "binary.yaml: cannot read: it is not UTF-8 text")
    }
}

/// Writing files for the operator: all or nothing, with an exact mode.
@Suite("Atomic files")
struct AtomicFileTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    @Test func aFileIsReplacedWithItsExactModeAndNoTempFileLeft() throws {
        let path = directory.file("credentials")
        try AtomicFile.write(Data("old\n".utf8), to: path, mode: 0o644)
        try AtomicFile.write(Data("[default]\nkey = 1\n".utf8), to: path, mode: 0o600)
        let read = try #require(try AtomicFile.read(path))
        #expect(read == AtomicFile.Contents(data: Data("[default]\nkey = 1\n".utf8), mode: 0o600))
        #expect(try fileMode(path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["credentials"])
    }

    @Test func aModeWiderThanTheUmaskIsKept() throws {
        let path = directory.file("script")
        try AtomicFile.write(Data("#!/bin/sh\n".utf8), to: path, mode: 0o775)
        #expect(try fileMode(path) == 0o775)
    }

    @Test func readingAMissingFileIsNilAndRemovingItTwiceSucceeds() throws {
        let path = directory.file("gone")
        #expect(try AtomicFile.read(path) == nil)
        try AtomicFile.write(Data(), to: path, mode: 0o600)
        #expect(try AtomicFile.read(path)?.data == Data())
        try AtomicFile.remove(path)
        try AtomicFile.remove(path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func writingIntoAMissingDirectoryFailsClearly() {
        let path = directory.file("no/such/dir/file")
        #expect(throws: AtomicFileError.cannotWrite(path: path, reason: "directory \(directory.file("no/such/dir")) does not exist")) {
            try AtomicFile.write(Data("x".utf8), to: path, mode: 0o600)
        }
    }
}

/// Small value types plugins and runbooks rely on.
@Suite("Durations and fields")
struct ValueSupportTests {
    @Test(arguments: [("500ms", 0.5), ("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("1d", 86400.0), ("1.5m", 90.0), ("10", 10.0),
                      (" 2s ", 2.0)])
    func durationsAreRead(_ text: String, _ seconds: Double) throws {
        #expect(try #require(Duration(runbookText: text)).seconds == seconds)
    }

    @Test(arguments: ["", "soon", "-1s", "5 minutes", "1w", "infs"])
    func badDurationsAreRefused(_ text: String) {
        #expect(Duration(runbookText: text) == nil)
    }

    @Test func durationInputsTakeTextOrSeconds() throws {
        let inputs: Inputs = ["a": "30s", "b": 2, "c": .double(0.25), "d": "soon", "e": -1, "f": [1]]
        #expect(try inputs.duration("a") == .seconds(30))
        #expect(try inputs.duration("b") == .seconds(2))
        #expect(try inputs.duration("c") == .milliseconds(250))
        #expect(try inputs.duration("missing") == nil)
        #expect(throws: FieldError.notADuration("d", "soon")) { try inputs.duration("d") }
        #expect(throws: FieldError.notADuration("e", "-1")) { try inputs.duration("e") }
        #expect(throws: FieldError.wrongType("f", expected: .string, found: .list)) { try inputs.duration("f") }
    }

    @Test func durationsReadShortly() {
        #expect(Duration.milliseconds(350).shortText == "350ms")
        #expect(Duration.milliseconds(1260).shortText == "1.3s")
        #expect(Duration.seconds(125).shortText == "2m5s")
    }

    @Test func fieldsNameTheFieldThatIsMissingOrWrong() throws {
        let fields: Fields = ["name": "u", "count": 3, "flag": true, "tags": ["team": "ops", "n": 1], "list": ["a", 2], "nothing": nil]
        #expect(try fields.string("name") == "u")
        #expect(try fields.int("count") == 3)
        #expect(try fields.bool("flag") == true)
        #expect(try fields.bool("absent", default: false) == false)
        #expect(try fields.optionalString("nothing") == nil)
        #expect(try fields.list("absent") == [])
        #expect(try fields.stringMap("tags") == ["team": "ops", "n": "1"])
        #expect(throws: FieldError.missing("absent")) { try fields.string("absent") }
        #expect(throws: FieldError.wrongType("count", expected: .string, found: .int)) { try fields.string("count") }
        #expect(throws: FieldError.wrongType("list[1]", expected: .string, found: .int)) { try fields.stringList("list") }
        #expect(FieldError.wrongType("count", expected: .string, found: .int).description == "'count' must be string, not int")
    }

    @Test func aStepContextResolvesPathsAndNamesItsAttempt() {
        let context = StepContext(runID: "r1", instance: "attach[Admin]", attempt: 2, environment: ["HOME": "/home/ops"],
                                  workingDirectory: "/work")
        #expect(context.idempotencyToken == "r1/attach[Admin]/2")
        #expect(context.absolutePath("~/.aws/credentials") == "/home/ops/.aws/credentials")
        #expect(context.absolutePath("out/file") == "/work/out/file")
        #expect(context.absolutePath("/etc/x") == "/etc/x")
    }

    @Test func valuesRoundTripThroughJSON() throws {
        let value: Value = ["s": "text", "i": 42, "b": false, "n": nil, "d": .double(1.5), "l": [1, "two"], "m": ["k": "v"]]
        #expect(try Value.parseJSON(value.jsonString()) == value)
        #expect(value.jsonString() == #"{"b":false,"d":1.5,"i":42,"l":[1,"two"],"m":{"k":"v"},"n":null,"s":"text"}"#)
    }

    @Test(arguments: [(Value.null, false), (.bool(false), false), (.bool(true), true), (.int(0), false), (.int(2), true),
                      (.string(""), false), (.string("false"), false), (.string("no"), true), (.list([]), false),
                      (.list(["x"]), true), (.map([:]), false)] as [(Value, Bool)])
    func whenConditionsFollowTruthiness(_ value: Value, _ truthy: Bool) {
        #expect(value.isTruthy == truthy)
    }
}
