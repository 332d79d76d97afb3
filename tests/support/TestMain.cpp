// Runs the CppUnit suite named on the command line (or every registered suite).
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/extensions/TestFactoryRegistry.h>
#include <cppunit/ui/text/TestRunner.h>

#include <iostream>
#include <stdexcept>

int main(int argc, char** argv) {
    CppUnit::TextUi::TestRunner runner;
    runner.addTest(CppUnit::TestFactoryRegistry::getRegistry().makeTest());
    runner.setOutputter(new CppUnit::CompilerOutputter(&runner.result(), std::cerr));
    const std::string suite = argc > 1 ? argv[1] : "";
    try {
        return runner.run(suite, false, true, true) ? 0 : 1;
    } catch (const std::invalid_argument& e) {
        std::cerr << "no test suite named '" << suite << "': " << e.what() << "\n";
        return 2;
    }
}
