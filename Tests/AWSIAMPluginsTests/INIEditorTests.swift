import Foundation
import Testing
@testable import AWSIAMPlugins

/// The byte-preserving editor of the AWS CLI files (`AWSCLIConfigFile`), on the files
/// operators actually have. Every expectation is the whole file, byte for byte.
@Suite("INI editor of the AWS CLI files")
struct INIEditorTests {
    static let keys: [(key: String, value: String)] = [("aws_access_key_id", "AKIANEWKEY0000000001"),
                                                        ("aws_secret_access_key", "new/secret+key")]
    static let stale: Set<String> = ["aws_session_token", "aws_security_token"]

    func credentials(_ text: String, profile: String = "ha") -> String {
        edit(text, .credentials, Self.keys, removing: Self.stale, profile: profile)
    }

    func config(_ text: String, profile: String = "ha", output: String? = nil) -> String {
        var values = [(key: "region", value: "us-east-1")]
        if let output { values.append((key: "output", value: output)) }
        return edit(text, .config, values, profile: profile)
    }

    func edit(_ text: String, _ kind: AWSCLIConfigFile.Kind, _ values: [(key: String, value: String)],
              removing: Set<String> = [], profile: String) -> String {
        let once = AWSCLIConfigFile(Data(text.utf8), kind: kind).setting(values, removing: removing, inProfile: profile).data
        // Every edit is idempotent: the same edit of its own result changes nothing.
        let twice = AWSCLIConfigFile(once, kind: kind).setting(values, removing: removing, inProfile: profile).data
        #expect(twice == once, "editing twice changed the file")
        return String(decoding: once, as: UTF8.self)
    }

    @Test func anEmptyOrMissingFileGetsJustTheSection() {
        #expect(credentials("") == "[ha]\naws_access_key_id = AKIANEWKEY0000000001\naws_secret_access_key = new/secret+key\n")
        #expect(config("") == "[profile ha]\nregion = us-east-1\n")
        #expect(config("", output: "json") == "[profile ha]\nregion = us-east-1\noutput = json\n")
        #expect(config("", profile: "default") == "[default]\nregion = us-east-1\n")
    }

    @Test func aNewSectionIsAppendedAfterOneBlankLineAndEverythingElseIsKept() {
        let before = """
            # managed by hand
            [default]
            aws_access_key_id=AKIADEFAULT000000000
            aws_secret_access_key = default-secret ; not a comment: part of the value
            ;[ha] commented out

            [other]
              aws_access_key_id = AKIAOTHER00000000000

            """
        #expect(credentials(before) == before + """

            [ha]
            aws_access_key_id = AKIANEWKEY0000000001
            aws_secret_access_key = new/secret+key

            """)
        // Already ending in a blank line: no second one.
        #expect(credentials("[a]\nx = 1\n\n") == "[a]\nx = 1\n\n[ha]\naws_access_key_id = AKIANEWKEY0000000001\naws_secret_access_key = new/secret+key\n")
    }

    @Test func anExistingProfileKeepsItsLinesStyleAndUnknownKeys() {
        let before = """
            [default]
            aws_access_key_id = AKIADEFAULT000000000

            # the HA user
            [ha]
              AWS_Access_Key_ID=AKIAOLDKEY0000000000
            # rotated by hand last year
            mfa_serial = arn:aws:iam::123456789012:mfa/ha
            aws_secret_access_key:old-secret
            aws_session_token = FwoGZXIvYXdzEXAMPLE
            aws_secret_access_key = duplicate-old-secret

            # next
            [later]
            x = 1
            """
        let after = """
            [default]
            aws_access_key_id = AKIADEFAULT000000000

            # the HA user
            [ha]
              AWS_Access_Key_ID=AKIANEWKEY0000000001
            # rotated by hand last year
            mfa_serial = arn:aws:iam::123456789012:mfa/ha
            aws_secret_access_key:new/secret+key

            # next
            [later]
            x = 1
            """
        #expect(credentials(before) == after)
    }

    @Test func missingKeysGoAfterTheSectionsLastSettingBeforeItsTrailingCommentsAndBlankLines() {
        let before = "[profile ha]\noutput = text\n\n# about [profile b]\n[profile b]\nregion = eu-west-1\n"
        #expect(config(before) == "[profile ha]\noutput = text\nregion = us-east-1\n\n# about [profile b]\n[profile b]\nregion = eu-west-1\n")
        // A section with no settings gets them right under its header.
        #expect(config("[profile ha]\n\n[profile b]\n") == "[profile ha]\nregion = us-east-1\n\n[profile b]\n")
        // `region =` with nothing after it keeps the file's spacing.
        #expect(config("[profile ha]\nregion =\n") == "[profile ha]\nregion = us-east-1\n")
        #expect(config("[profile ha]\nregion=\n") == "[profile ha]\nregion=us-east-1\n")
    }

    @Test func crlfFilesStayCRLF() {
        let before = "[default]\r\nregion = eu-west-1\r\n\r\n[profile ha]\r\nregion = eu-central-1\r\n"
        #expect(config(before, output: "json") == "[default]\r\nregion = eu-west-1\r\n\r\n[profile ha]\r\nregion = us-east-1\r\noutput = json\r\n")
        #expect(config("[default]\r\nregion = eu-west-1\r\n") == "[default]\r\nregion = eu-west-1\r\n\r\n[profile ha]\r\nregion = us-east-1\r\n")
    }

    @Test func aFileWithoutAFinalNewlineStillEndsWithout() {
        // Replaced on the last line.
        #expect(config("[profile ha]\nregion = eu-west-1") == "[profile ha]\nregion = us-east-1")
        // Added after the last line.
        #expect(config("[profile ha]\noutput = json", output: "text") == "[profile ha]\noutput = text\nregion = us-east-1")
        #expect(config("[profile ha]\nx = 1") == "[profile ha]\nx = 1\nregion = us-east-1")
        // A new section after a last line without a newline.
        #expect(config("[default]\nregion = eu-west-1") == "[default]\nregion = eu-west-1\n\n[profile ha]\nregion = us-east-1")
        // The removed last line was the one without a newline.
        #expect(credentials("[ha]\naws_access_key_id = A\naws_secret_access_key = B\naws_session_token = T")
                == "[ha]\naws_access_key_id = AKIANEWKEY0000000001\naws_secret_access_key = new/secret+key")
    }

    @Test func duplicateSectionsEditTheFirstAndLeaveTheOthers() {
        let before = "[ha]\naws_access_key_id = FIRST\n\n[ha]\naws_access_key_id = SECOND\n"
        #expect(credentials(before) == "[ha]\naws_access_key_id = AKIANEWKEY0000000001\naws_secret_access_key = new/secret+key\n\n[ha]\naws_access_key_id = SECOND\n")
    }

    @Test func sectionHeadersAreMatchedAsTheAWSCLIReadsThem() {
        // configparser does not trim inside the brackets: `[ ha ]` is profile " ha ", not "ha".
        #expect(credentials("[ ha ]\nx = 1\n") == "[ ha ]\nx = 1\n\n[ha]\naws_access_key_id = AKIANEWKEY0000000001\naws_secret_access_key = new/secret+key\n")
        #expect(config("[ profile ha ]\nregion = a\n") == "[ profile ha ]\nregion = a\n\n[profile ha]\nregion = us-east-1\n")
        // botocore splits `profile NAME` with shlex: extra spaces and quotes name the same profile.
        #expect(config("[profile   ha ]\nregion = a\n") == "[profile   ha ]\nregion = us-east-1\n")
        #expect(config("[profile \"ha\"]\nregion = a\n") == "[profile \"ha\"]\nregion = us-east-1\n")
        // Leading whitespace and a trailing comment do not stop a header.
        #expect(config("  [profile ha] # the HA user\nregion = a\n") == "  [profile ha] # the HA user\nregion = us-east-1\n")
        // In the credentials file the header is the name itself.
        #expect(credentials("[profile ha]\nx = 1\n") == "[profile ha]\nx = 1\n\n[ha]\naws_access_key_id = AKIANEWKEY0000000001\naws_secret_access_key = new/secret+key\n")
        // Not a profile in the config file: [ha] and [sso-session ha].
        #expect(config("[ha]\nregion = a\n[sso-session ha]\nregion = b\n") == "[ha]\nregion = a\n[sso-session ha]\nregion = b\n\n[profile ha]\nregion = us-east-1\n")
        // A header inside a comment is not one.
        #expect(config("# [profile ha]\n") == "# [profile ha]\n\n[profile ha]\nregion = us-east-1\n")
    }

    @Test func theDefaultProfile() {
        #expect(config("[default]\nregion = eu-west-1\noutput = json\n", profile: "default") == "[default]\nregion = us-east-1\noutput = json\n")
        #expect(credentials("[default]\naws_access_key_id = OLD\naws_secret_access_key = OLD\n", profile: "default")
                == "[default]\naws_access_key_id = AKIANEWKEY0000000001\naws_secret_access_key = new/secret+key\n")
        // botocore also reads [profile default] as the default profile.
        #expect(config("[profile default]\nregion = eu-west-1\n", profile: "default") == "[profile default]\nregion = us-east-1\n")
    }

    @Test func namesThatNeedQuotingAreQuotedAsAWSConfigureDoes() {
        #expect(config("", profile: "my profile") == "[profile 'my profile']\nregion = us-east-1\n")
        #expect(config("[profile 'my profile']\nregion = a\n", profile: "my profile") == "[profile 'my profile']\nregion = us-east-1\n")
        #expect(config("", profile: "it's") == "[profile 'it'\"'\"'s']\nregion = us-east-1\n")
        #expect(credentials("", profile: "my profile").hasPrefix("[my profile]\n"))
        // Other punctuation stays bare, as the AWS CLI writes it.
        #expect(config("", profile: "ops@prod.example-1").hasPrefix("[profile ops@prod.example-1]\n"))
    }

    @Test func continuationLinesBelongToTheSettingAbove() {
        // An indented line under a setting continues its value, even when it looks like a
        // header or a key: replacing `region` drops its old continuation too.
        let before = "[profile ha]\nregion = eu-west-1\n  [profile other]\n\n  more\ns3 =\n  region = nested\n"
        #expect(config(before) == "[profile ha]\nregion = us-east-1\n\ns3 =\n  region = nested\n")
        // Right under a header, an indented line is a setting of its own.
        #expect(config("[profile ha]\n    region = a\n") == "[profile ha]\n    region = us-east-1\n")
    }

    @Test func linesTheCLIWouldRejectAreKept() {
        let before = "stray = before any section\n[profile ha]\nno delimiter here\n"
        #expect(config(before) == "stray = before any section\n[profile ha]\nno delimiter here\nregion = us-east-1\n")
    }

    @Test func nonUTF8BytesArePreserved() {
        var before = Data("[other]\nnote = ".utf8)
        before += Data([0xFF, 0xFE, 0x80])
        before += Data("\n".utf8)
        let after = AWSCLIConfigFile(before, kind: .config).setting([("region", "us-east-1")], inProfile: "ha").data
        #expect(after == before + Data("\n[profile ha]\nregion = us-east-1\n".utf8))
    }

    @Test func shellWordsFollowPythonShlex() {
        func split(_ text: String) -> [String]? {
            ShellWords.split(Array(text.utf8))?.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(split("profile  x ") == ["profile", "x"])
        #expect(split("profile 'my x'") == ["profile", "my x"])
        #expect(split("profile \"a\\\"b\\c\"") == ["profile", "a\"b\\c"])
        #expect(split("profile a\\ b") == ["profile", "a b"])
        #expect(split("profile ''") == ["profile", ""])
        #expect(split("profile 'open") == nil)
        #expect(split("profile x\\") == nil)
        func quote(_ text: String) -> String { String(decoding: ShellWords.quote(Array(text.utf8)), as: UTF8.self) }
        #expect(quote("ops@prod.example-1") == "ops@prod.example-1")
        #expect(quote("my x") == "'my x'")
        #expect(quote("it's") == "'it'\"'\"'s'")
        #expect(quote("") == "''")
    }
}
