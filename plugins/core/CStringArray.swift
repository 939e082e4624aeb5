#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A NULL-terminated `char *[]` (argv, envp) built before the fork: the forked child may
/// not allocate, so everything it reads must already exist in memory it inherits.
final class CStringArray {
    /// `char *const *`, valid while this object lives.
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    /// Nil if memory runs out. Callers check for NUL bytes first (`containsNUL`): C would
    /// cut the string there.
    init?(_ strings: [String]) {
        pointer = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            guard let copy = strdup(string) else {
                for earlier in 0..<index { free(pointer[earlier]) }
                pointer.deallocate()
                return nil
            }
            pointer[index] = copy
        }
        pointer[strings.count] = nil
        count = strings.count
    }

    deinit {
        for index in 0..<count { free(pointer[index]) }
        pointer.deallocate()
    }

    /// True if `string` cannot be passed to C intact.
    static func containsNUL(_ string: String) -> Bool { string.utf8.contains(0) }
}
