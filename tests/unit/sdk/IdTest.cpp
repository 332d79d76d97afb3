#include <msgbus/Error.h>
#include <msgbus/Id.h>

#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <thread>
#include <vector>

using msgbus::Id;

class IdTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IdTest);
    CPPUNIT_TEST(testGeneratedIdIsVersion7WithVariant10);
    CPPUNIT_TEST(testGeneratedIdsStrictlyIncreaseWithinOneMillisecond);
    CPPUNIT_TEST(testGeneratedIdsAreUniqueAcrossThreads);
    CPPUNIT_TEST(testTimestampIsCurrentTime);
    CPPUNIT_TEST(testTextRoundTrip);
    CPPUNIT_TEST(testParsesUppercaseUuidAndHex);
    CPPUNIT_TEST(testParsesUlid);
    CPPUNIT_TEST(testRejectsNilAndMax);
    CPPUNIT_TEST(testRejectsGarbageWithClearMessage);
    CPPUNIT_TEST(testFromBytesRejectsWrongSize);
    CPPUNIT_TEST_SUITE_END();

public:
    void testGeneratedIdIsVersion7WithVariant10() {
        Id id = Id::generate();
        CPPUNIT_ASSERT_EQUAL(0x70, id.bytes()[6] & 0xf0);
        CPPUNIT_ASSERT_EQUAL(0x80, id.bytes()[8] & 0xc0);
        CPPUNIT_ASSERT_EQUAL('7', id.toString()[14]);
    }

    void testGeneratedIdsStrictlyIncreaseWithinOneMillisecond() {
        std::vector<Id> ids;
        for (int i = 0; i < 100000; ++i)
            ids.push_back(Id::generate());
        for (std::size_t i = 1; i < ids.size(); ++i) {
            CPPUNIT_ASSERT(ids[i - 1] < ids[i]);
            CPPUNIT_ASSERT(ids[i - 1].toString() < ids[i].toString());
        }
        // 100k ids take far less than 100k ms: several shared a millisecond.
        CPPUNIT_ASSERT(ids.back().unixMillis() - ids.front().unixMillis() < 100000);
    }

    void testGeneratedIdsAreUniqueAcrossThreads() {
        std::vector<std::vector<Id>> perThread(4);
        std::vector<std::thread> threads;
        for (auto& out : perThread)
            threads.emplace_back([&out] {
                for (int i = 0; i < 20000; ++i)
                    out.push_back(Id::generate());
            });
        for (auto& t : threads)
            t.join();
        std::set<Id> all;
        for (const auto& out : perThread)
            all.insert(out.begin(), out.end());
        CPPUNIT_ASSERT_EQUAL(std::size_t(80000), all.size());
    }

    void testTimestampIsCurrentTime() {
        auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
        Id id = Id::generate();
        CPPUNIT_ASSERT(id.unixMillis() >= before);
        CPPUNIT_ASSERT(id.unixMillis() < before + 5000);
    }

    void testTextRoundTrip() {
        Id id = Id::generate();
        CPPUNIT_ASSERT(Id::parse(id.toString()) == id);
        std::string bin = id.toBinary();
        CPPUNIT_ASSERT(Id::fromBytes(bin.data(), bin.size()) == id);
        CPPUNIT_ASSERT_EQUAL(std::size_t(36), id.toString().size());
    }

    void testParsesUppercaseUuidAndHex() {
        Id a = Id::parse("0190A6F2-3B4C-7D5E-8F60-1A2B3C4D5E6F");
        CPPUNIT_ASSERT_EQUAL(std::string("0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f"), a.toString());
        Id b = Id::parse("0190a6f23b4c7d5e8f601a2b3c4d5e6f");
        CPPUNIT_ASSERT(a == b);
    }

    void testParsesUlid() {
        // The ULID text is the Crockford base32 of the same 128 bits (computed independently).
        Id id = Id::parse("0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6f");
        Id fromUlid = Id::parse("01J2KF4ETCFNF8YR0T5CY4TQKF");
        CPPUNIT_ASSERT_EQUAL(id.toString(), fromUlid.toString());
        CPPUNIT_ASSERT(Id::parse("01j2kf4etcfnf8yr0t5cy4tqkf") == id);
        CPPUNIT_ASSERT_THROW(Id::parse("81J2KF4ETCFNF8YR0T5CY4TQKF"), msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(Id::parse("01J2KF4ETCFNF8YR0T5CY4TQKU"), msgbus::InvalidArgument);
    }

    void testRejectsNilAndMax() {
        CPPUNIT_ASSERT_THROW(Id::parse("00000000-0000-0000-0000-000000000000"),
                             msgbus::InvalidArgument);
        CPPUNIT_ASSERT_THROW(Id::parse("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                             msgbus::InvalidArgument);
        CPPUNIT_ASSERT(!Id::isValid("00000000000000000000000000"));
    }

    void testRejectsGarbageWithClearMessage() {
        for (const char* bad :
             {"", "abc", "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6", "not-a-uuid-at-all",
              "0190a6f2x3b4cx7d5ex8f60x1a2b3c4d5e6f", "0190a6f2-3b4c-7d5e-8f60-1a2b3c4d5e6g"}) {
            try {
                Id::parse(bad);
                CPPUNIT_FAIL(std::string("accepted '") + bad + "'");
            } catch (const msgbus::InvalidArgument& e) {
                std::string what = e.what();
                CPPUNIT_ASSERT(what.find("invalid message id") != std::string::npos);
                CPPUNIT_ASSERT(what.find(bad) != std::string::npos);
            }
        }
        try {
            Id::parse(std::string("\x01\xff", 2));
            CPPUNIT_FAIL("accepted binary garbage");
        } catch (const msgbus::InvalidArgument& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("\\x01\\xff") != std::string::npos);
        }
    }

    void testFromBytesRejectsWrongSize() {
        CPPUNIT_ASSERT_THROW(Id::fromBytes("abc", 3), msgbus::InvalidArgument);
        std::string zeros(16, '\0');
        CPPUNIT_ASSERT_THROW(Id::fromBytes(zeros.data(), 16), msgbus::InvalidArgument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IdTest);
