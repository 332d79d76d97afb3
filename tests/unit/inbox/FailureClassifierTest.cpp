// FailureClassifier: what was thrown decides between a failed row (permanent), a retry row
// (transient) and giving the batch back (the database is away), without any service.
#include "core/inbox/FailureClassifier.h"
#include "core/inbox/TransactionLost.h"

#include <msgbus/Error.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>
#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using msgbus::core::Failure;
using msgbus::core::FailureClassifier;

namespace {

template <class E> std::exception_ptr thrown(E e) {
    return std::make_exception_ptr(std::move(e));
}

// What Poco's MySQL connector throws: the server's error number only in the text.
Poco::Data::DataException mysqlError(int number, const std::string& text) {
    return Poco::Data::DataException("[mysql_errno]: " + std::to_string(number) + " " + text);
}

} // namespace

class FailureClassifierTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FailureClassifierTest);
    CPPUNIT_TEST(testMalformedMessageFromTheSerializerIsPermanent);
    CPPUNIT_TEST(testInvalidArgumentFromDecodingIsMalformedAndPermanent);
    CPPUNIT_TEST(testAnyOtherSerializerFailureIsRetried);
    CPPUNIT_TEST(testSerializerFailureOfAPocoExceptionKeepsItsDisplayText);
    CPPUNIT_TEST(testNonStandardSerializerExceptionIsRetried);
    CPPUNIT_TEST(testUnknownMessageNameIsPermanent);
    CPPUNIT_TEST(testUndecodableDeliveryIsPermanent);
    CPPUNIT_TEST(testHandlerMalformedMessageIsPermanentAndNamesTheHandler);
    CPPUNIT_TEST(testHandlerExceptionIsRetriedWhateverItsText);
    CPPUNIT_TEST(testHandlerNonStandardExceptionIsRetried);
    CPPUNIT_TEST(testStatementLostUnderAHandlerIsThatHandlersRetriedFailure);
    CPPUNIT_TEST(testLostConnectionIsADatabaseOutageThatAbortsTheBatch);
    CPPUNIT_TEST(testLockConflictAbortsTheBatchButIsNoOutage);
    CPPUNIT_TEST(testLostTransactionAndRefusedStatementsDoNotAbortTheBatch);
    CPPUNIT_TEST(testAloneRunLockConflictOrLostTransactionIsRetried);
    CPPUNIT_TEST(testAloneRunRefusedByTheDatabaseIsAPermanentStorageFailure);
    CPPUNIT_TEST_SUITE_END();

public:
    void testMalformedMessageFromTheSerializerIsPermanent() {
        const Failure f =
            FailureClassifier::ofDecoding(thrown(msgbus::MalformedMessage("body", "not JSON")));
        CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("body: not JSON"), f.error);
        CPPUNIT_ASSERT(!f.retryable);
    }

    void testInvalidArgumentFromDecodingIsMalformedAndPermanent() {
        // validateMessageName() and Id::parse() throw it for what the serializer let through.
        const Failure f =
            FailureClassifier::ofDecoding(thrown(msgbus::InvalidArgument("bad message name 'X'")));
        CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("bad message name 'X'"), f.error);
        CPPUNIT_ASSERT(!f.retryable);
    }

    void testAnyOtherSerializerFailureIsRetried() {
        const Failure f =
            FailureClassifier::ofDecoding(thrown(std::runtime_error("schema registry away")));
        CPPUNIT_ASSERT_EQUAL(std::string("DecodeError"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("schema registry away"), f.error);
        CPPUNIT_ASSERT(f.retryable);
    }

    void testSerializerFailureOfAPocoExceptionKeepsItsDisplayText() {
        // Poco's what() is only the class name.
        const Failure f =
            FailureClassifier::ofDecoding(thrown(Poco::IOException("registry", "timed out")));
        CPPUNIT_ASSERT_EQUAL(std::string("I/O error: registry: timed out"), f.error);
        CPPUNIT_ASSERT(f.retryable);
    }

    void testNonStandardSerializerExceptionIsRetried() {
        const Failure f = FailureClassifier::ofDecoding(thrown(42));
        CPPUNIT_ASSERT_EQUAL(std::string("DecodeError"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown exception from the serializer"), f.error);
        CPPUNIT_ASSERT(f.retryable);
    }

    void testUnknownMessageNameIsPermanent() {
        const Failure f = FailureClassifier::unknownName("orders", "order.shipped");
        CPPUNIT_ASSERT_EQUAL(std::string("UnknownMessageName"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(
            std::string("no handler of consumer 'orders' takes message name 'order.shipped'"),
            f.error);
        CPPUNIT_ASSERT(!f.retryable);
    }

    void testUndecodableDeliveryIsPermanent() {
        const Failure f = FailureClassifier::undecodable("headers nested too deep");
        CPPUNIT_ASSERT_EQUAL(std::string("UndecodableDelivery"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("headers nested too deep"), f.error);
        CPPUNIT_ASSERT(!f.retryable);
    }

    void testHandlerMalformedMessageIsPermanentAndNamesTheHandler() {
        const Failure f = FailureClassifier::ofHandler(
            "orders/PlaceOrder", thrown(msgbus::MalformedMessage("payload", "no orderId")));
        CPPUNIT_ASSERT_EQUAL(std::string("MalformedMessage"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("orders/PlaceOrder: payload: no orderId"), f.error);
        CPPUNIT_ASSERT(!f.retryable);
    }

    void testHandlerExceptionIsRetriedWhateverItsText() {
        // Its text reads like an outage, but only a database exception can mean one.
        const std::runtime_error error("Lost connection to payment API");
        const Failure f = FailureClassifier::ofHandler("orders/PlaceOrder", thrown(error));
        CPPUNIT_ASSERT_EQUAL(std::string("HandlerFailed"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("orders/PlaceOrder: Lost connection to payment API"),
                             f.error);
        CPPUNIT_ASSERT(f.retryable);
        CPPUNIT_ASSERT(!FailureClassifier::isDatabaseGone(error));
        CPPUNIT_ASSERT(!FailureClassifier::abortsBatch(error));
    }

    void testStatementLostUnderAHandlerIsThatHandlersRetriedFailure() {
        // The retry worker counts the attempt: given back, the row would never end.
        const Failure f = FailureClassifier::ofLostStatement(
            "the database connection was lost under handler poison/PoisonHandler: Lost "
            "connection to server during query");
        CPPUNIT_ASSERT_EQUAL(std::string("HandlerFailed"), f.errorClass);
        CPPUNIT_ASSERT(f.error.find("poison/PoisonHandler: Lost connection") != std::string::npos);
        CPPUNIT_ASSERT(f.retryable);
    }

    void testHandlerNonStandardExceptionIsRetried() {
        const Failure f = FailureClassifier::ofHandler("orders/PlaceOrder", thrown("a C string"));
        CPPUNIT_ASSERT_EQUAL(std::string("HandlerFailed"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("orders/PlaceOrder: unknown exception"), f.error);
        CPPUNIT_ASSERT(f.retryable);
    }

    void testLostConnectionIsADatabaseOutageThatAbortsTheBatch() {
        for (int number : {2006, 2013, 1927}) {
            const auto error = mysqlError(number, "server has gone away");
            CPPUNIT_ASSERT(FailureClassifier::isDatabaseGone(error));
            CPPUNIT_ASSERT(FailureClassifier::abortsBatch(error));
        }
        const Poco::Data::ConnectionFailedException refused("cannot connect");
        CPPUNIT_ASSERT(FailureClassifier::isDatabaseGone(refused));
        CPPUNIT_ASSERT(FailureClassifier::abortsBatch(refused));
    }

    void testLockConflictAbortsTheBatchButIsNoOutage() {
        const auto deadlock = mysqlError(1213, "Deadlock found when trying to get lock");
        const auto timeout = mysqlError(1205, "Lock wait timeout exceeded");
        const Poco::Data::SQLite::DBLockedException locked("database is locked");
        for (const std::exception* e : {static_cast<const std::exception*>(&deadlock),
                                        static_cast<const std::exception*>(&timeout),
                                        static_cast<const std::exception*>(&locked)}) {
            CPPUNIT_ASSERT(FailureClassifier::abortsBatch(*e));
            CPPUNIT_ASSERT(!FailureClassifier::isDatabaseGone(*e));
        }
    }

    void testLostTransactionAndRefusedStatementsDoNotAbortTheBatch() {
        // Both are some message's doing: running the messages alone finds which.
        CPPUNIT_ASSERT(!FailureClassifier::abortsBatch(
            msgbus::core::TransactionLost("dedup rows vanished under the handlers")));
        CPPUNIT_ASSERT(!FailureClassifier::abortsBatch(mysqlError(1406, "Data too long")));
    }

    void testAloneRunLockConflictOrLostTransactionIsRetried() {
        const Failure conflict = FailureClassifier::ofAloneRun(mysqlError(1213, "Deadlock"));
        CPPUNIT_ASSERT_EQUAL(std::string("TransactionFailed"), conflict.errorClass);
        CPPUNIT_ASSERT(conflict.retryable);
        const Failure lost =
            FailureClassifier::ofAloneRun(msgbus::core::TransactionLost("rolled back"));
        CPPUNIT_ASSERT_EQUAL(std::string("TransactionFailed"), lost.errorClass);
        CPPUNIT_ASSERT_EQUAL(std::string("rolled back"), lost.error);
        CPPUNIT_ASSERT(lost.retryable);
    }

    void testAloneRunRefusedByTheDatabaseIsAPermanentStorageFailure() {
        const Failure f = FailureClassifier::ofAloneRun(std::runtime_error("Data too long"));
        CPPUNIT_ASSERT_EQUAL(std::string("StorageFailed"), f.errorClass);
        CPPUNIT_ASSERT_EQUAL(
            std::string("the database refused to record this message: Data too long"), f.error);
        CPPUNIT_ASSERT(!f.retryable);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FailureClassifierTest);
